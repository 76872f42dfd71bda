/** JSON helpers shared by every part of the Slack simulator. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Concatenates every `text` string found anywhere in a value (blocks, a view, a message): handy for asserts. */
export function collectText(value: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else if (isJsonObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'text' && typeof child === 'string') parts.push(child);
        else visit(child);
      }
    }
  };
  visit(value);
  return parts.join('\n');
}

// Slack counts characters, not UTF-16 code units.
export function charCount(value: string): number {
  return Array.from(value).length;
}

export function isJsonObjectArray(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every(isJsonObject);
}

export function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
