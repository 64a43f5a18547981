import * as React from 'react';

import type { IVariable } from '../types';
import { useServices, useTrans } from '../uiContext';

export interface IDataObjectsProps {
  variables: readonly IVariable[];
}

/**
 * The kernel's data objects, folded by default (they must not push the chat off the
 * screen or stand in the keyboard's way); clicking one puts `@name` into the message box.
 */
export const DataObjects = React.memo(function DataObjects(props: IDataObjectsProps): JSX.Element | null {
  const { controller } = useServices();
  const trans = useTrans();
  const [open, setOpen] = React.useState(false);
  if (props.variables.length === 0) {
    return null;
  }
  return (
    <section className="jp-CodeAgent-data" aria-label={trans.__('Data objects')}>
      <button className="jp-CodeAgent-section-title" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className={`jp-CodeAgent-caret ${open ? 'jp-mod-open' : ''}`} aria-hidden="true">
          ▸
        </span>
        {trans.__('Data objects')}
        <span className="jp-CodeAgent-plan-count">{props.variables.length}</span>
      </button>
      {open && (
        <ul className="jp-CodeAgent-variables">
          {props.variables.map(variable => (
            <li key={variable.name}>
              <button
                className="jp-CodeAgent-variable"
                data-name={variable.name}
                title={trans.__('Mention @%1 in your message', variable.name)}
                onClick={() => controller.insertIntoComposer(`@${variable.name}`)}
              >
                <span className="jp-CodeAgent-variable-name">{variable.name}</span>
                <span className="jp-CodeAgent-variable-type">{variable.type}</span>
                <span className="jp-CodeAgent-variable-summary">{variable.summary}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
});
