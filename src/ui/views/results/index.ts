/** Every result view, registered as a custom element (src/ui/jobs/job-kinds.ts names them by tag). */
import './explain-result';
import './facets-result';
import './fool-result';
import './lime-result';
import './map-result';
import './neighbours-result';
import './patches-result';
import './sanity-result';
import './snapshot-result';
import './uap-result';
import './visualisation-result';
import './teach-result';
import './invert-row-result';
import './neuron-views-result';
