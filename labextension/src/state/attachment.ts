/**
 * A user message that carries a notebook cell ("Explain this cell", "Fix this error")
 * is the user's words followed by the cell's code and error (the format
 * `messageWithAttachment` writes). The chat shows the words and folds the cell away.
 */

export interface IAttachedCell {
  /** "cell [3]" or "cell 5". */
  label: string;
  notebookPath: string;
  code: string;
  /** `ename: evalue` and the traceback, if the cell had an error. */
  error: string | null;
}

export interface ISplitMessage {
  words: string;
  cell: IAttachedCell | null;
}

const ATTACHED =
  /(?:^|\n\n)The (cell [^\n]*?) of ([^\n]+):\n(```|~~~)python\n([\s\S]*?)\n?\3(?:\n\nIts error:\n\3\n([\s\S]*?)\n?\3)?\s*$/;

export function splitAttachedCell(text: string): ISplitMessage {
  const match = ATTACHED.exec(text);
  if (!match) {
    return { words: text, cell: null };
  }
  return {
    words: text.slice(0, match.index).trim(),
    cell: {
      label: match[1],
      notebookPath: match[2],
      code: match[4],
      error: match[5] ?? null
    }
  };
}

/** The first line of an error (`ZeroDivisionError: division by zero`). */
export function errorHeadline(error: string): string {
  return error.split('\n')[0].trim();
}
