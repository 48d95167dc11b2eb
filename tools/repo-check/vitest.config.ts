import { siptsVitestConfig } from '../config/vitest.js';

export default siptsVitestConfig();
