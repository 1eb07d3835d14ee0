export { ReportService, type ReportServiceOptions, type CallFilter, type TodayFigures, type Summary, type RepeatCaller } from './report-service';
export { callsToCsv, csvRow, CSV_COLUMNS, type ReportCall } from './call-export';
export { csvField, csvRecord } from './csv';
export { DEFAULT_TIME_ZONE, isoWithOffset, localDate, dayRange, monthRange, parseInstant, datesIn, dateRangeOf } from './time-zone';
