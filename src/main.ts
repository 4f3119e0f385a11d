import './ui/convlens-app';
