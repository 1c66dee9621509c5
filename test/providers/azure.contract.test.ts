import { afterAll } from 'vitest';
import { describeProviderContract } from './contract.js';
import { createAzureFixture } from './azure.fixture.js';

const fixture = createAzureFixture();
afterAll(() => fixture.close());
describeProviderContract(fixture);
