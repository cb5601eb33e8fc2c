import { keepServiceLogs } from './log-audit';

keepServiceLogs();
