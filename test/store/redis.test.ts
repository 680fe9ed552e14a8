import { describe, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { storeContract } from './contract.js';
import { deletePrefix, freshPrefix, HOW_TO_RUN, redisReachable, urlWithPrefix } from './redis-support.js';

const reachable = await redisReachable();

if (reachable) {
  storeContract('redis', async () => {
    const prefix = freshPrefix();
    const url = urlWithPrefix(prefix);
    const options = { retry: { minMs: 10, maxMs: 50 } };
    let current = await createStore(url, options);
    const others: Store[] = [];
    return {
      store: current,
      another: async () => {
        const other = await createStore(url, options);
        others.push(other);
        return other;
      },
      reopen: async () => {
        await current.close();
        current = await createStore(url, options);
        return current;
      },
      cleanup: async () => {
        await Promise.all([...others, current].map((store) => store.close()));
        await deletePrefix(prefix);
      },
    };
  });
} else {
  describe.skip('store contract: redis', () => {
    it(HOW_TO_RUN, () => {});
  });
}
