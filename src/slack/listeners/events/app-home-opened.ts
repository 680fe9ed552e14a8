import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { HomePublisher } from './home.js';

/** Opening the Home tab publishes it for that user. */
export function register(app: App, { home, logger }: { home: Pick<HomePublisher, 'publish'>; logger: Logger }): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      await home.publish(client, event.user);
    } catch (err) {
      logger.error({ err, user: event.user }, 'could not publish the Home tab');
    }
  });
}
