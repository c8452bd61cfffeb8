export {
  defineScenario,
  type ResumedCheckpoint,
  type ScenarioContext,
  type ScenarioData,
  type ScenarioDefinition,
} from './define-scenario.js';
export {
  type LoadedScenario,
  loadScenarios,
  ScenarioLoadError,
  scenarioFiles,
  scenarioOf,
} from './load-scenarios.js';
export { isScenarioError, ScenarioError } from './scenario-error.js';
