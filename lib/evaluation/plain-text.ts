// Feedback and summaries reach clients as plain text: no links, no markup, no control characters.
export function plainText(text: string, max = 4000): string {
  return (
    text
      .replace(/<[^>]{0,200}>/g, ' ')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\b(?:https?|ftp|javascript|data):\/?\/?[^\s)>\]]+/gi, '[link removed]')
      .replace(/\bwww\.[^\s)>\]]+/gi, '[link removed]')
      .replace(/[`*_~#>|]+/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim()
      .slice(0, max)
  );
}
