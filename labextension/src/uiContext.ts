import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { nullTranslator, type TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { AgentController } from './controller';

/** The gettext domain of every string the extension shows. */
export const TRANSLATION_DOMAIN = 'jupyter_codeagent';

/** What the sidebar's components need from JupyterLab, passed down once. */
export interface IUIServices {
  controller: AgentController;
  /** Renders the chat's Markdown: sanitized, and without LaTeX (`$120k` stays money). */
  rendermime: IRenderMimeRegistry;
  languages: IEditorLanguageRegistry | null;
  /** Every string goes through it (domain `jupyter_codeagent`). */
  trans?: TranslationBundle;
  /** Opens the Settings Editor on the Code Agent's settings. */
  openSettings?: () => void;
}

export const UIServices = React.createContext<IUIServices | null>(null);

export function useServices(): IUIServices {
  const services = React.useContext(UIServices);
  if (!services) {
    throw new Error('The Code Agent components need the UIServices context.');
  }
  return services;
}

const fallback = nullTranslator.load(TRANSLATION_DOMAIN);

/** The translation bundle of the extension (English without a translator). */
export function useTrans(): TranslationBundle {
  return React.useContext(UIServices)?.trans ?? fallback;
}
