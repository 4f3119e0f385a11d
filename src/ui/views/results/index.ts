/** Every result view, registered as a custom element (src/ui/jobs/job-kinds.ts names them by tag). */
import './explain-result';
import './fool-result';
import './map-result';
import './neighbours-result';
import './patches-result';
import './sanity-result';
import './segment-result';
import './snapshot-result';
import './uap-result';
import './visualisation-result';
import './teach-result';
