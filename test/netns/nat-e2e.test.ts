// NAT end to end in a netns lab: the shared routed cases plus NAT's own.

import { demoSuite, routedSuite } from '../support/routed-e2e.js';

routedSuite('nat');
demoSuite('nat');
