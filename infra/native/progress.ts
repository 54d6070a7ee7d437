// Progress lines for long stack commands; on a terminal the spinner line is rewritten in place.
export function step(message: string): void {
  process.stderr.write(`• ${message}\n`);
}

export function done(message: string): void {
  process.stderr.write(`✓ ${message}\n`);
}

export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const started = Date.now();
  let lastReport = started;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    const now = Date.now();
    if (now - started > options.timeoutMs) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${why}`);
    }
    if (now - lastReport >= 5000) {
      lastReport = now;
      step(`still waiting for ${what} (${Math.round((now - started) / 1000)} s)`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
