/**
 * Runs dynalite (through test-support's `startDynalite`) in a process of its own and prints its
 * endpoint, so that the server does not share the benchmark's thread, as a real server would not.
 */
import { startDynalite } from '@dynamodb-session/test-support';
import { exitWhenParentGoes } from './child-process';

const server = await startDynalite();
process.stdout.write(`${server.endpoint}\n`);
exitWhenParentGoes();
process.on('SIGTERM', () => process.exit(0));
