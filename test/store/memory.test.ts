import { createStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';

storeContract('memory', async () => {
  const store = await createStore('memory://');
  return { store, cleanup: () => store.close() };
});
