import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

/** The user's own choices, as a request's `settings` object carries them. */
export interface IUserChoices {
  approval?: string;
  max_steps?: number;
  provider?: string;
  model?: string;
  budget_run_usd?: number;
  budget_session_usd?: number;
  budget_day_usd?: number;
  budget_run_tokens?: number;
  budget_session_tokens?: number;
  budget_day_tokens?: number;
}

/** Settings-editor keys of the user's own budgets (0: the server's) → request keys. */
const BUDGETS: ReadonlyArray<[string, keyof IUserChoices]> = [
  ['budgetRunUsd', 'budget_run_usd'],
  ['budgetSessionUsd', 'budget_session_usd'],
  ['budgetDayUsd', 'budget_day_usd'],
  ['budgetRunTokens', 'budget_run_tokens'],
  ['budgetSessionTokens', 'budget_session_tokens'],
  ['budgetDayTokens', 'budget_day_tokens']
];

/** "Use the server's value" in the settings editor. */
const SERVER_DEFAULT = 'server';

/** The choices a composite settings object asks for (defaults mean: the server's). */
export function choicesFrom(composite: Readonly<Record<string, unknown>>): IUserChoices {
  const choices: IUserChoices = {};
  const approval = composite['approval'];
  if (typeof approval === 'string' && approval !== SERVER_DEFAULT) {
    choices.approval = approval;
  }
  const maxSteps = composite['maxSteps'];
  if (typeof maxSteps === 'number' && Number.isInteger(maxSteps) && maxSteps > 0) {
    choices.max_steps = maxSteps;
  }
  const provider = composite['provider'];
  if (typeof provider === 'string' && provider !== SERVER_DEFAULT) {
    choices.provider = provider;
  }
  const model = composite['model'];
  if (typeof model === 'string' && model.trim()) {
    choices.model = model.trim();
  }
  // The server applies a budget only if it is lower than its own.
  for (const [key, name] of BUDGETS) {
    const value = composite[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
      (choices as Record<string, number>)[name] = name.endsWith('_tokens') ? Math.floor(value) : value;
    }
  }
  return choices;
}

/**
 * The settings editor's values for this user. They travel with this user's requests
 * (`POST .../messages {text, settings}`) and never change the server's settings, so
 * two users (or two tabs) cannot overwrite each other.
 */
export class UserSettings {
  /** Emitted when the user changes a setting. */
  readonly changed = new Signal<this, IUserChoices>(this);

  get choices(): IUserChoices {
    return this._choices;
  }

  follow(settings: ISettingRegistry.ISettings): void {
    const read = () => {
      this._choices = choicesFrom(settings.composite as Record<string, unknown>);
      this.changed.emit(this._choices);
    };
    read();
    settings.changed.connect(read);
  }

  private _choices: IUserChoices = {};
}
