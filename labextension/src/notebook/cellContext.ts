import type { Cell, ICodeCellModel } from '@jupyterlab/cells';

/** A notebook cell the user attached to a message ("Explain this cell", ...). */
export interface ICellAttachment {
  /** What the chip shows, e.g. "cell [3]" or "cell 5". */
  label: string;
  notebookPath: string;
  source: string;
  /** `ename: evalue` and the traceback, for a cell whose output is an error. */
  error: string | null;
}

const MAX_ERROR_CHARS = 4000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The error output of a code cell as text, or null if it has none. */
export function cellError(cell: Cell): string | null {
  if (cell.model.type !== 'code') {
    return null;
  }
  const outputs = (cell.model as ICodeCellModel).outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON() as {
      output_type: string;
      ename?: string;
      evalue?: string;
      traceback?: string[];
    };
    if (output.output_type === 'error') {
      const head = `${output.ename ?? 'Error'}: ${output.evalue ?? ''}`;
      const trace = (output.traceback ?? []).join('\n').replace(ANSI, '');
      const text = trace ? `${head}\n${trace}` : head;
      return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}\n…` : text;
    }
  }
  return null;
}

export function attachmentOf(cell: Cell, index: number, notebookPath: string): ICellAttachment {
  let label = `cell ${index + 1}`;
  if (cell.model.type === 'code') {
    const count = (cell.model as ICodeCellModel).executionCount;
    if (count !== null && count !== undefined) {
      label = `cell [${count}]`;
    }
  }
  return {
    label,
    notebookPath,
    source: cell.model.sharedModel.getSource(),
    error: cellError(cell)
  };
}

/** The text sent to the agents: the user's words, then the attached cell. */
export function messageWithAttachment(text: string, attachment: ICellAttachment | null): string {
  if (!attachment) {
    return text;
  }
  const fence = attachment.source.includes('```') ? '~~~' : '```';
  const parts = [
    text.trim(),
    '',
    `The ${attachment.label} of ${attachment.notebookPath}:`,
    `${fence}python`,
    attachment.source,
    fence
  ];
  if (attachment.error) {
    parts.push('', 'Its error:', fence, attachment.error, fence);
  }
  return parts.join('\n');
}
