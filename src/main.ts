import './ui/convlens-app';
import { appUpdates } from './ui/pwa';

// Offline cache and update announcements (production builds only).
void appUpdates.register();
