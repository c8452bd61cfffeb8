import type { Step } from '@fleet/contracts';
import type { BrowserDriver, RunStepsOptions, StepsOutcome } from '../ports/browser-driver.js';
import type { WebDriverEndpoint } from '../ports/profile-provider.js';

/** Every run "succeeds" at once with an empty outcome: a pipeline without a browser. */
export class InstantDriver implements BrowserDriver {
  runs = 0;
  async run(_endpoint: WebDriverEndpoint, _steps: Step[], _options: RunStepsOptions): Promise<StepsOutcome> {
    this.runs++;
    return { data: {}, artifacts: {}, url: null, title: null };
  }
}
