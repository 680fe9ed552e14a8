import { createStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

storeContract('memory', async () => {
  const store = await createStore('memory://', { retry: { minMs: 10, maxMs: 50 } });
  return { store, cleanup: () => store.close() };
});
