import { describeProviderContract } from './contract.js';
import { vaultFixture } from './vault.fixture.js';

describeProviderContract(vaultFixture);
