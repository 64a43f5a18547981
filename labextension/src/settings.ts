import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

/** The user's own choices, as a request's `settings` object carries them. */
export interface IUserChoices {
  approval?: string;
  max_steps?: number;
  provider?: string;
  model?: string;
}

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
