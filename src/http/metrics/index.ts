export { createMetrics, type Metrics, type MetricsOptions } from './create-metrics';
export { DispatchLatencyFromEvents, type DispatchLatencyRecorder } from './dispatch-latency';
