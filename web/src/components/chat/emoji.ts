// A small built-in set of emoji for the chat composer (no image sprites, no dependency).
export const EMOJI: readonly string[] = [
  '😀', '😁', '😂', '🤣', '😊', '😍', '😘', '😉', '😎', '🤔',
  '😅', '😭', '😢', '😡', '😱', '😴', '🙄', '😳', '🤗', '🙏',
  '👍', '👎', '👌', '👏', '💪', '🤝', '✌️', '❤️', '💔', '🎉',
  '🌹', '🎁', '📦', '🚚', '💰', '⭐', '✅', '❌', '❓', '⏰',
]

/** Insert text at the cursor of a text box value; answers the new value and cursor position. */
export function insertAt(value: string, start: number | null | undefined, end: number | null | undefined, text: string): { value: string; cursor: number } {
  const a = Math.max(0, Math.min(start ?? value.length, value.length))
  const b = Math.max(a, Math.min(end ?? a, value.length))
  return { value: value.slice(0, a) + text + value.slice(b), cursor: a + text.length }
}
