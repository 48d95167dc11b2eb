import { siptsVitestConfig } from '../../tools/config/vitest.js';

export default siptsVitestConfig({ testTimeout: 40_000 });
