// TUN (IPIP) end to end in a netns lab: the shared routed cases plus TUN's own.
import { demoSuite, routedSuite } from '../support/routed-e2e.js';

routedSuite('tun');
demoSuite('tun');
