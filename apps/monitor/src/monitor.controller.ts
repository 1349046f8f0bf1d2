// The monitor's bus contract: resource status, job admission requests, and the events it listens to (heartbeats
// and service lifecycle for process usage and orphaned jobs, user activity from the gateway).
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ZmqContext } from '@aico/bus';
import { MonitorTopics, SystemTopics } from '@aico/contracts';
import type {
  ActivityReport,
  CancelJobRequest,
  CompleteJobRequest,
  Heartbeat,
  ListJobsRequest,
  RenewJobRequest,
  ServiceReady,
  ServiceStopping,
  SubmitJobRequest,
} from '@aico/contracts';
import { JobAdmission } from './jobs/job-admission';
import { MonitorService } from './monitor.service';

@Controller()
export class MonitorController {
  constructor(
    private readonly monitor: MonitorService,
    private readonly admission: JobAdmission,
  ) {}

  // Lifecycle events are taken only from the service they describe: one service cannot move another's pid or jobs.
  @EventPattern(SystemTopics.heartbeat.topic)
  heartbeat(@Payload() beat: Heartbeat, @Ctx() context: ZmqContext): void {
    if (beat.service === context.getSource() && beat.process) this.monitor.serviceHeard(beat.service, beat.instanceId, beat.process.pid, beat.intervalMs);
  }

  @EventPattern(SystemTopics.serviceReady.topic)
  ready(@Payload() ready: ServiceReady, @Ctx() context: ZmqContext): void {
    if (ready.service === context.getSource()) this.monitor.serviceHeard(ready.service, ready.instanceId, ready.pid);
  }

  @EventPattern(SystemTopics.serviceStopping.topic)
  stopping(@Payload() stopping: ServiceStopping, @Ctx() context: ZmqContext): void {
    if (stopping.service === context.getSource()) this.monitor.serviceStopped(stopping.service, stopping.instanceId);
  }

  @EventPattern(MonitorTopics.activityReported.topic)
  activity(@Payload() report: ActivityReport): void {
    this.monitor.activityReported(report.kind, report.occurredAt ? timestampMs(report.occurredAt) : undefined, report.client);
  }

  @MessagePattern(MonitorTopics.resourceStatus.topic)
  status() {
    return this.monitor.status();
  }

  @MessagePattern(MonitorTopics.jobSubmit.topic)
  submit(@Payload() request: SubmitJobRequest, @Ctx() context: ZmqContext) {
    const job = this.admission.submit(request, context.getSource(), context.getEnvelope().instanceId);
    this.monitor.jobSubmitted();
    return { job };
  }

  @MessagePattern(MonitorTopics.jobComplete.topic)
  complete(@Payload() request: CompleteJobRequest, @Ctx() context: ZmqContext) {
    return { job: this.admission.complete(request, context.getSource()) };
  }

  @MessagePattern(MonitorTopics.jobRenew.topic)
  renew(@Payload() request: RenewJobRequest, @Ctx() context: ZmqContext) {
    return { job: this.admission.renew(request, context.getSource()) };
  }

  @MessagePattern(MonitorTopics.jobCancel.topic)
  cancel(@Payload() request: CancelJobRequest, @Ctx() context: ZmqContext) {
    return { job: this.admission.cancel(request.id, request.reason, context.getSource()) };
  }

  @MessagePattern(MonitorTopics.queueList.topic)
  list(@Payload() request: ListJobsRequest) {
    return this.admission.list(request);
  }
}
