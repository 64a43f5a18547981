/**
 * Review in the notebook itself: a bar above each proposed agent cell (and above a
 * cell an agent proposes to change, with the change as a diff) carrying the risk and
 * Approve / Edit / Reject, so a cell can be decided where it will run.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ReactWidget } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import type { PanelLayout } from '@lumino/widgets';
import * as React from 'react';

import { DiffView } from '../components/DiffView';
import { RiskBadge } from '../components/RiskBadge';
import { cardLabel } from '../components/cardText';
import { ICellView, pendingCells } from '../state/viewState';
import { IUIServices, UIServices, useServices, useTrans } from '../uiContext';
import { findAgentCell, findAnchor, findPanel } from './agentCells';
import { focusCellEditor } from './sessionNotebook';

const HOST_CLASS = 'jp-CodeAgent-inline-host';
const RISK_ATTRIBUTE = 'data-codeagent-risk';

/** Index of the cell a proposal lives in: its agent cell, or the cell it changes. */
export function reviewedCellIndex(model: INotebookModel, cell: ICellView): number {
  if (cell.replaces) {
    const agent = findAgentCell(model, cell.replaces);
    return agent >= 0 ? agent : findAnchor(model, cell.replaces);
  }
  return findAgentCell(model, cell.cellId);
}

/** The code of the cell `anchor` (agent cell id or nbformat id) in the open notebook. */
export function anchorSource(tracker: INotebookTracker, path: string | null, anchor: string): string | null {
  const model = path ? findPanel(tracker, path)?.content.model : null;
  if (!model) {
    return null;
  }
  let index = findAgentCell(model, anchor);
  if (index < 0) {
    index = findAnchor(model, anchor);
  }
  return index < 0 ? null : model.cells.get(index).sharedModel.getSource();
}

/**
 * Edit a proposed change of an existing cell: the proposed code goes into that cell
 * (its code before is returned, to restore on reject) and the cursor into its editor.
 */
export async function editInPlace(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  path: string,
  cell: ICellView,
  alreadyEditing: boolean
): Promise<{ original: string } | { problem: string }> {
  const panel = findPanel(tracker, path);
  const model = panel?.content.model;
  const index = model ? reviewedCellIndex(model, cell) : -1;
  if (!panel || !model || index < 0) {
    return { problem: 'The cell this change is for is not in the open notebook.' };
  }
  const shared = model.cells.get(index).sharedModel;
  const original = shared.getSource();
  if (!alreadyEditing) {
    shared.setSource(cell.source);
  }
  app.shell.activateById(panel.id);
  await focusCellEditor(panel.content, index);
  return { original };
}

/** Put a cell's code back (a rejected change the user had opened for editing). */
export function restoreSource(tracker: INotebookTracker, path: string, cell: ICellView, source: string): void {
  const model = findPanel(tracker, path)?.content.model;
  const index = model ? reviewedCellIndex(model, cell) : -1;
  if (model && index >= 0) {
    model.cells.get(index).sharedModel.setSource(source);
  }
}

// --- the bar above a cell ---------------------------------------------------------------

interface IInlineBarProps {
  cell: ICellView;
  taskTitle: string | null;
  /** The reviewed notebook cell (for the diff of a change). */
  host: Cell;
  /** A change the user opened for editing in the cell. */
  editing: boolean;
}

function InlineBar(props: IInlineBarProps): JSX.Element {
  const { controller } = useServices();
  const trans = useTrans();
  const { cell, host } = props;
  const [armed, setArmed] = React.useState(false);
  const [current, setCurrent] = React.useState(() => host.model.sharedModel.getSource());
  React.useEffect(() => {
    const update = () => setCurrent(host.model.sharedModel.getSource());
    host.model.contentChanged.connect(update);
    return () => {
      host.model.contentChanged.disconnect(update);
    };
  }, [host]);
  const high = cell.review.risk === 'high';
  const { editing } = props;
  const approve = () => {
    if (high && !armed) {
      setArmed(true);
      return;
    }
    void controller.approve(cell.cellId);
  };
  const title = cell.replaces
    ? trans.__('Code Agent proposes a change to this cell')
    : trans.__('Code Agent proposes this cell');
  return (
    <div
      className={`jp-CodeAgent-inline jp-mod-risk-${cell.review.risk}`}
      data-cell-id={cell.cellId}
      role="group"
      aria-label={cardLabel(cell, props.taskTitle, trans)}
    >
      <div className="jp-CodeAgent-inline-header">
        <span className="jp-CodeAgent-inline-title">{title}</span>
        {props.taskTitle && <span className="jp-CodeAgent-inline-task">{props.taskTitle}</span>}
        <span className="jp-CodeAgent-spacer" />
        <RiskBadge risk={cell.review.risk} />
      </div>
      {cell.replaces && !editing && current !== cell.source && (
        <DiffView before={current} after={cell.source} against={trans.__('the cell')} />
      )}
      {cell.replaces && editing && (
        <div className="jp-CodeAgent-inline-note">{trans.__('Approve runs the cell as it is now.')}</div>
      )}
      {high && (
        <div className="jp-CodeAgent-inline-note jp-mod-high" role="note">
          {trans.__('High risk: read the code and the findings in the Code Agent panel before approving.')}
        </div>
      )}
      <div className="jp-CodeAgent-inline-actions">
        <button
          className={`jp-Button jp-mod-styled jp-mod-accept jp-CodeAgent-inline-approve ${armed ? 'jp-mod-armed' : ''}`}
          onClick={approve}
        >
          {armed
            ? trans.__('Confirm: run high-risk code')
            : cell.replaces
              ? trans.__('Accept & run')
              : trans.__('Approve & run')}
        </button>
        <button className="jp-Button jp-mod-styled jp-CodeAgent-inline-edit" onClick={() => void controller.editCell(cell.cellId)}>
          {trans.__('Edit')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-CodeAgent-inline-reject"
          onClick={() => void controller.reject(cell.cellId)}
        >
          {trans.__('Reject')}
        </button>
      </div>
    </div>
  );
}

class InlineReviewWidget extends ReactWidget {
  constructor(
    private readonly _services: IUIServices,
    readonly host: Cell,
    private _cell: ICellView,
    private _taskTitle: string | null,
    private _editing: boolean
  ) {
    super();
    this.addClass('jp-CodeAgent-inline-widget');
    // Keys typed here are for these buttons, not the notebook's command-mode shortcuts.
    this.node.setAttribute('data-lm-suppress-shortcuts', 'true');
  }

  get cellId(): string {
    return this._cell.cellId;
  }

  setProposal(cell: ICellView, taskTitle: string | null, editing: boolean): void {
    if (cell !== this._cell || taskTitle !== this._taskTitle || editing !== this._editing) {
      this._cell = cell;
      this._taskTitle = taskTitle;
      this._editing = editing;
      this.update();
    }
  }

  protected render(): JSX.Element {
    return (
      <UIServices.Provider value={this._services}>
        <InlineBar cell={this._cell} taskTitle={this._taskTitle} host={this.host} editing={this._editing} />
      </UIServices.Provider>
    );
  }
}

/**
 * Keeps one inline bar above every cell of the session's open notebook that waits for
 * the user, and none elsewhere; follows the sidebar's state and the notebook's cells.
 */
export class InlineReview implements IDisposable {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _services: IUIServices
  ) {
    this._unsubscribe = _services.controller.subscribe(() => this._schedule());
    const watch = (panel: NotebookPanel) => {
      const onCells = () => this._schedule();
      panel.content.modelChanged.connect(() => {
        panel.content.model?.cells.changed.connect(onCells);
        this._schedule();
      });
      void panel.context.ready.then(() => {
        panel.content.model?.cells.changed.connect(onCells);
        this._schedule();
      });
      panel.disposed.connect(() => this._schedule());
    };
    _tracker.forEach(watch);
    _tracker.widgetAdded.connect((_, panel) => watch(panel));
    this._schedule();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._unsubscribe();
    for (const widget of this._widgets.values()) {
      this._remove(widget);
    }
    this._widgets.clear();
  }

  private _schedule(): void {
    if (this._scheduled || this._disposed) {
      return;
    }
    this._scheduled = true;
    requestAnimationFrame(() => {
      this._scheduled = false;
      if (!this._disposed) {
        this._sync();
      }
    });
  }

  private _sync(): void {
    const state = this._services.controller.getState();
    const panel = state.sessionPath ? findPanel(this._tracker, state.sessionPath) : null;
    const model = panel?.content.model;
    const wanted = new Map<string, { host: Cell; cell: ICellView }>();
    if (panel && model) {
      for (const cell of pendingCells(state.view)) {
        const index = reviewedCellIndex(model, cell);
        const host = index >= 0 ? panel.content.widgets[index] : undefined;
        if (host) {
          wanted.set(cell.cellId, { host, cell });
        }
      }
    }
    const titles = new Map(state.view.plan.map(task => [task.id, task.title]));
    for (const [cellId, widget] of this._widgets) {
      const want = wanted.get(cellId);
      if (!want || want.host !== widget.host || widget.host.isDisposed) {
        this._remove(widget);
        this._widgets.delete(cellId);
      }
    }
    for (const [cellId, { host, cell }] of wanted) {
      const title = cell.taskId ? (titles.get(cell.taskId) ?? null) : null;
      const editing = this._services.controller.isEditingInPlace(cellId);
      const existing = this._widgets.get(cellId);
      if (existing) {
        existing.setProposal(cell, title, editing);
        host.node.setAttribute(RISK_ATTRIBUTE, cell.review.risk);
        continue;
      }
      const widget = new InlineReviewWidget(this._services, host, cell, title, editing);
      (host.layout as PanelLayout).insertWidget(0, widget);
      host.addClass(HOST_CLASS);
      host.node.setAttribute(RISK_ATTRIBUTE, cell.review.risk);
      this._widgets.set(cellId, widget);
    }
  }

  private _remove(widget: InlineReviewWidget): void {
    const host = widget.host;
    if (!host.isDisposed) {
      host.removeClass(HOST_CLASS);
      host.node.removeAttribute(RISK_ATTRIBUTE);
    }
    widget.dispose();
  }

  private readonly _widgets = new Map<string, InlineReviewWidget>();
  private readonly _unsubscribe: () => void;
  private _scheduled = false;
  private _disposed = false;
}
