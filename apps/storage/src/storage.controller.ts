// The storage bus contract: reads answer from the reader connection; writes go through DurableWrites (the write
// lane, idempotency receipts) and are answered only once committed.
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ZmqContext } from '@aico/bus';
import {
  SecurityTopics,
  StorageTopics,
  type KeyRotated,
  AppendEventsResponseSchema,
  DeleteRecordResponseSchema,
  DeleteStateResponseSchema,
  PutRecordResponseSchema,
  PutStateResponseSchema,
  WriteStateResponseSchema,
  type AppendEventsRequest,
  type CreateBackupRequest,
  type DeleteRecordRequest,
  type DeleteStateRequest,
  type GetRecordRequest,
  type GetStateRequest,
  type ListRecordsRequest,
  type ListStateRequest,
  type PutRecordRequest,
  type PutStateRequest,
  type QueryEventsRequest,
  type QueryLogsRequest,
  type RestoreBackupRequest,
  type WriteStateRequest,
} from '@aico/contracts';
import { BackupService } from './backup.service';
import { DurableWrites } from './durable-writes';
import { HistoryStore } from './history.store';
import { RecordStore } from './records.store';
import { StateStore } from './state.store';
import { StorageMaintenance } from './storage-maintenance';

@Controller()
export class StorageController {
  constructor(
    private readonly durable: DurableWrites,
    private readonly state: StateStore,
    private readonly records: RecordStore,
    private readonly history: HistoryStore,
    private readonly maintenance: StorageMaintenance,
    private readonly backups: BackupService,
  ) {}

  /** A rotated database key re-keys the database (in order, one rotation after another). */
  @EventPattern(SecurityTopics.rotated.topic)
  keyRotated(@Payload() rotated: KeyRotated): void {
    this.maintenance.keyRotated(rotated);
  }

  @MessagePattern(StorageTopics.stateGet.topic)
  getState(@Payload() request: GetStateRequest) {
    return this.state.get(request.namespace, request.key);
  }

  @MessagePattern(StorageTopics.stateList.topic)
  listState(@Payload() request: ListStateRequest) {
    return this.state.list(request);
  }

  @MessagePattern(StorageTopics.statePut.topic)
  putState(@Payload() request: PutStateRequest, @Ctx() context: ZmqContext) {
    this.state.checkPut(request);
    return this.durable.write(context, PutStateResponseSchema, async () => ({ version: await this.state.put(request, context.getSource()) }));
  }

  @MessagePattern(StorageTopics.stateDelete.topic)
  deleteState(@Payload() request: DeleteStateRequest, @Ctx() context: ZmqContext) {
    this.state.checkDelete(request);
    return this.durable.write(context, DeleteStateResponseSchema, async () => ({ deleted: await this.state.delete(request) }));
  }

  @MessagePattern(StorageTopics.stateWrite.topic)
  writeState(@Payload() request: WriteStateRequest, @Ctx() context: ZmqContext) {
    this.state.checkBatch(request);
    return this.durable.write(context, WriteStateResponseSchema, async () => ({ versions: await this.state.write(request, context.getSource()) }));
  }

  @MessagePattern(StorageTopics.recordPut.topic)
  putRecord(@Payload() request: PutRecordRequest, @Ctx() context: ZmqContext) {
    const record = this.records.checkPut(request.record, context.getSource());
    return this.durable.write(context, PutRecordResponseSchema, async () => ({ created: await this.records.put(record, context.getSource()) }));
  }

  @MessagePattern(StorageTopics.recordGet.topic)
  async getRecord(@Payload() request: GetRecordRequest) {
    const record = await this.records.get(request.kind, request.id);
    return record ? { found: true, record } : { found: false };
  }

  @MessagePattern(StorageTopics.recordList.topic)
  listRecords(@Payload() request: ListRecordsRequest) {
    return this.records.list(request.kind, request.parent, request.afterId, request.limit);
  }

  @MessagePattern(StorageTopics.recordDelete.topic)
  deleteRecord(@Payload() request: DeleteRecordRequest, @Ctx() context: ZmqContext) {
    this.records.checkDelete(request.kind, request.id, context.getSource(), request.parent);
    return this.durable.write(context, DeleteRecordResponseSchema, async () => {
      const count = await this.records.deleteWhere(request.kind, request.parent ? { parent: request.parent } : { id: request.id });
      return { deleted: count > 0, count };
    });
  }

  @MessagePattern(StorageTopics.logsQuery.topic)
  queryLogs(@Payload() request: QueryLogsRequest) {
    return this.history.queryLogs(request);
  }

  @MessagePattern(StorageTopics.eventsAppend.topic)
  appendEvents(@Payload() request: AppendEventsRequest, @Ctx() context: ZmqContext) {
    // The appender is the source of record, whatever the events claim.
    const rows = request.events.map((event) => this.history.eventRow({ ...event, source: context.getSource() }));
    return this.durable.write(context, AppendEventsResponseSchema, async () => ({ sequences: await this.history.insertEvents(rows) }));
  }

  @MessagePattern(StorageTopics.eventsQuery.topic)
  queryEvents(@Payload() request: QueryEventsRequest) {
    return this.history.queryEvents(request);
  }

  @MessagePattern(StorageTopics.databaseCheck.topic)
  check() {
    return this.maintenance.check();
  }

  @MessagePattern(StorageTopics.backupCreate.topic)
  createBackup(@Payload() request: CreateBackupRequest, @Ctx() context: ZmqContext) {
    return this.backups.create(request.path, context.getCorrelationId());
  }

  @MessagePattern(StorageTopics.backupRestore.topic)
  restoreBackup(@Payload() request: RestoreBackupRequest, @Ctx() context: ZmqContext) {
    return this.backups.restore(request.path, context.getCorrelationId());
  }
}
