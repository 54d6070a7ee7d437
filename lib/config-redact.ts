// How configuration errors show a bad value without leaking it: a secret never, a URL without its
// password (not at all if it does not parse).
export function shownValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL/i.test(name)) return '[hidden]';
  if (/_URL$/.test(name) || /:\/\//.test(value)) {
    if (!URL.canParse(value)) return '[hidden: not a URL]';
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  }
  return value;
}
