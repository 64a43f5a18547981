/**
 * The approval gate, enforced in the notebook itself.
 *
 * JupyterLab runs every notebook cell (Run, Shift+Enter, Run All, Restart and run all)
 * through one `INotebookCellExecutor`. This executor wraps JupyterLab's own `runCell`:
 * an agent cell that is proposed (waiting for approval), rejected or blocked is not
 * run, and the user is told, with a button that approves it in the Code Agent panel;
 * a cell the agent is running now is not run a second time. Every other cell runs as
 * usual; a user's own run of an agent cell that already ran is reported to the
 * session's audit as a user run.
 */

import { Notification } from '@jupyterlab/apputils';
import type { ICellModel } from '@jupyterlab/cells';
import { type INotebookCellExecutor, runCell } from '@jupyterlab/notebook';

import { agentMetadata } from './agentCells';

/** What the gate asks of the rest of the extension (the sidebar's controller). */
export interface IAgentCellActions {
  /** Approve the proposed agent cell (its current code in the notebook runs). */
  approve(sessionId: string, cellId: string): Promise<void>;
  /** Show the Code Agent panel. */
  showPanel(): void;
  /** Record the user's own run of an agent cell that already ran. */
  userRan(sessionId: string, cellId: string, source: string, ok: boolean): Promise<void>;
}

/** Agent cell statuses the notebook must not run, and why (shown to the user). */
const GATED: Record<string, string> = {
  proposed: 'waits for your approval',
  rejected: 'was rejected',
  blocked: 'was blocked by the safety checks',
  running: 'is being run by the agent right now'
};

interface IRefusal {
  sessionId: string | null;
  cellId: string;
  status: string;
}

/** Is this cell one the notebook may not run? Its refusal, or null. */
export function refusalOf(model: ICellModel): IRefusal | null {
  const meta = agentMetadata(model);
  const status = meta?.status;
  if (!meta?.cell_id || !status || !(status in GATED)) {
    return null;
  }
  return { sessionId: meta.session ?? null, cellId: meta.cell_id, status };
}

export class AgentCellGate implements INotebookCellExecutor {
  /** Connected once the sidebar exists (the executor is created before it). */
  setActions(actions: IAgentCellActions): void {
    this._actions = actions;
  }

  async runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const model = options.cell.model;
    const refusal = refusalOf(model);
    if (refusal) {
      this._refuse(refusal);
      return false;
    }
    const meta = agentMetadata(model);
    const source = model.sharedModel.getSource();
    const ran = await runCell(options);
    if (meta?.cell_id && meta.session && model.type === 'code' && this._actions) {
      void this._actions.userRan(meta.session, meta.cell_id, source, ran).catch(reason => {
        console.warn('jupyter-codeagent: could not record the run in the audit', reason);
      });
    }
    return ran;
  }

  /** Refusals of one Run All are told in one notification. */
  private _refuse(refusal: IRefusal): void {
    this._refused.push(refusal);
    if (this._refused.length === 1) {
      setTimeout(() => this._tell(), 0);
    }
  }

  private _tell(): void {
    const refused = this._refused;
    this._refused = [];
    const actions = this._actions;
    const proposed = refused.filter(r => r.status === 'proposed' && r.sessionId !== null);
    const message =
      refused.length === 1
        ? `Not run: this agent cell ${GATED[refused[0].status]}.` +
          (refused[0].status === 'proposed' ? ' Approve it in the Code Agent panel.' : '')
        : `${refused.length} agent cells were not run: they wait for your approval, were ` +
          'rejected or blocked. See the Code Agent panel.';
    const buttons: Notification.IAction[] = [];
    if (actions && proposed.length === 1 && refused.length === 1) {
      const [{ sessionId, cellId }] = proposed;
      buttons.push({
        label: 'Approve & run',
        caption: 'Approve this cell in the Code Agent panel; your edits to it are what runs',
        displayType: 'accent',
        callback: () => {
          actions.showPanel();
          void actions.approve(sessionId as string, cellId);
        }
      });
    }
    if (actions) {
      buttons.push({ label: 'Open the panel', displayType: 'link', callback: () => actions.showPanel() });
    }
    Notification.warning(message, { autoClose: 8000, actions: buttons });
  }

  private _actions: IAgentCellActions | null = null;
  private _refused: IRefusal[] = [];
}
