import { siptsVitestConfig } from '../../tools/config/vitest.js';

export default siptsVitestConfig();
