// FULLNAT end to end in a netns lab: the shared routed cases plus FULLNAT's own.
import { demoSuite, routedSuite } from '../support/routed-e2e.js';

routedSuite('fnat');
demoSuite('fullnat');
