import { createMemoryStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

storeContract('memory', {
  shared: false,
  persistent: false,
  setup: () => Promise.resolve({ open: () => Promise.resolve(createMemoryStore()), dispose: () => Promise.resolve() }),
});
