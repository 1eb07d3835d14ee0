export { createLiveChannel, type LiveChannel, type LiveOptions } from './live-router';
export { defaultLiveFilter, type LiveFilter } from './live-filter';
