// System status and the log search over REST (the composition lives in SystemService).
import { Controller, Get } from '@nestjs/common';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { LogsQuery, LogsResponse, SystemStatusResponse } from '../http/schemas';
import { ValidQuery, type Input } from '../http/valid-input';
import { SystemService } from './system.service';

@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Doc('Apps, database and key state', { response: SystemStatusResponse })
  @Get('system/status')
  @Access(Permission.SystemStatusRead)
  status() {
    return this.system.status();
  }

  @Doc('Search the persisted logs, newest first', { response: LogsResponse })
  @Get('logs')
  @Access(Permission.SystemLogsRead)
  logs(@ValidQuery(LogsQuery) query: Input<typeof LogsQuery>) {
    return this.system.logs(query);
  }
}
