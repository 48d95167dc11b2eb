import { siptsTsupConfig } from '../../tools/config/tsup.js';

export default siptsTsupConfig({ entry: { index: 'src/index.ts' } });
