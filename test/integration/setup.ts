import { jest } from '@jest/globals';

// Integration tests talk to real servers: helm rollouts, broker round trips. Their own deadlines are tighter.
jest.setTimeout(180_000);
