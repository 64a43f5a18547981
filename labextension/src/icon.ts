import { LabIcon } from '@jupyterlab/ui-components';

import iconSvg from '../style/icons/codeagent.svg';

export const codeAgentIcon = new LabIcon({ name: 'jupyter-codeagent:icon', svgstr: iconSvg });
