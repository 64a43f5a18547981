import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';

import type { AgentController } from './controller';

/** What the sidebar's components need from JupyterLab, passed down once. */
export interface IUIServices {
  controller: AgentController;
  rendermime: IRenderMimeRegistry;
  languages: IEditorLanguageRegistry | null;
  /** JupyterLab's translator (absent: the English strings as written). */
  translator?: ITranslator | null;
}

export const UIServices = React.createContext<IUIServices | null>(null);

export function useServices(): IUIServices {
  const services = React.useContext(UIServices);
  if (!services) {
    throw new Error('The Code Agent components need the UIServices context.');
  }
  return services;
}

/** The extension's strings in the user's language (`trans.__('...')`). */
export function useTrans(): TranslationBundle {
  const { translator } = useServices();
  return React.useMemo(() => (translator ?? nullTranslator).load('jupyter_codeagent'), [translator]);
}
