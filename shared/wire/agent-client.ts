// The agent's contract (shared/agent-api.ts) over gRPC, for the coordinator, the lab and the
// tests: each call maps the domain request to the wire and the answer back.
import { connectivityState as grpcConnectivity, credentials as grpcCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import type { AgentApi, ServiceControlAnswer } from '../agent-api.js';
import type { ClusterAction, ClusterStatus, MirrorStatus } from '../domain/cluster.js';
import type { NodeInfo } from '../domain/node.js';
import type { OpContext, Operation } from '../domain/operation.js';
import type { PackageFile, PackageInfo, PackageRequest } from '../domain/package.js';
import type { ServiceAction } from '../domain/service.js';
import type { PackageText, ScResourceSummary } from '../domain/solaris.js';
import {
  clusterActionToWire,
  clusterStatusFromWire,
  mirrorFromWire,
  nodeInfoFromWire,
  opContextToWire,
  operationFromWire,
  packageInfoFromWire,
  packageRequestToWire,
  pb,
  serviceActions,
  serviceStatusFromWire,
} from './agent-wire.js';
import { callUnary, type UnaryMethod } from './unary-call.js';

export interface AgentClientOptions {
  /** Deadline of each call. */
  deadlineMs?: number;
  channelOptions?: ChannelOptions;
}

export class AgentClient implements AgentApi {
  private readonly client: pb.AgentClient;
  private deadlineMs: number;

  constructor(
    readonly address: string,
    credentials: ChannelCredentials = grpcCredentials.createInsecure(),
    options: AgentClientOptions = {},
  ) {
    this.client = new pb.AgentClient(address, credentials, { 'grpc.max_receive_message_length': 16 * 1024 * 1024, ...options.channelOptions });
    this.deadlineMs = options.deadlineMs ?? 30_000;
  }

  close(): void {
    this.client.close();
  }

  /** True when the channel is connected now (READY); asks for no connection. */
  connected(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpcConnectivity.READY;
  }

  /** The deadline of calls made from now on; calls in flight keep theirs. */
  setDeadline(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
  }

  /**
   * True when the agent answers within `deadlineMs`. A call made while the channel is still
   * connecting waits for its whole deadline, so a long call is only worth sending once this
   * short one has come back.
   */
  async answers(deadlineMs: number): Promise<boolean> {
    return callUnary(this.client, this.client.getNodeInfo, {}, deadlineMs, `agent ${this.address}`).then(
      () => true,
      () => false,
    );
  }

  async nodeInfo(): Promise<NodeInfo> {
    return nodeInfoFromWire(await this.call<pb.GetNodeInfoRequest, pb.GetNodeInfoResponse>(this.client.getNodeInfo, {}));
  }

  async queryPackage(name: string): Promise<PackageInfo> {
    return packageInfoFromWire((await this.call(this.client.queryPackage, { name })).package);
  }

  async inspectPackageFile(path: string): Promise<PackageFile> {
    const response = await this.call(this.client.inspectPackageFile, { path });
    return { package: packageInfoFromWire(response.package), size: response.size, sha256: response.sha256 };
  }

  async applyPackage(op: OpContext, request: PackageRequest): Promise<Operation> {
    return operationFromWire((await this.call(this.client.applyPackage, packageRequestToWire(op, request))).operation);
  }

  async controlService(op: OpContext | undefined, name: string, action: ServiceAction): Promise<ServiceControlAnswer> {
    const response = await this.call(this.client.controlService, { op: op && opContextToWire(op), name, action: serviceActions.toWire(action) });
    return { ...(response.operation && { operation: operationFromWire(response.operation) }), status: serviceStatusFromWire(response.status) };
  }

  async clusterStatus(): Promise<ClusterStatus> {
    return clusterStatusFromWire(await this.call(this.client.getClusterStatus, {}));
  }

  async mirrorStatus(resource = ''): Promise<MirrorStatus[]> {
    return (await this.call(this.client.getMirrorStatus, { resource })).mirrors.map(mirrorFromWire);
  }

  async clusterAction(op: OpContext, action: ClusterAction): Promise<Operation> {
    return operationFromWire((await this.call(this.client.clusterAction, clusterActionToWire(op, action))).operation);
  }

  async reboot(op: OpContext): Promise<Operation> {
    return operationFromWire((await this.call(this.client.reboot, { op: opContextToWire(op) })).operation);
  }

  async runHook(op: OpContext, name: string, args: readonly string[] = []): Promise<Operation> {
    return operationFromWire((await this.call(this.client.runHook, { op: opContextToWire(op), name, args: [...args] })).operation);
  }

  async getOperation(opId: string): Promise<Operation> {
    return operationFromWire((await this.call(this.client.getOperation, { opId })).operation);
  }

  async clusterResources(type: string): Promise<ScResourceSummary[]> {
    return (await this.call(this.client.getClusterResources, { resourceType: type })).resources.map((resource) => ({ ...resource }));
  }

  async readPackageFile(packagePath: string, installedPath: string): Promise<PackageText> {
    const { text, path, sha256 } = await this.call(this.client.readPackageFile, { packagePath, installedPath });
    return { text, path, sha256 };
  }

  private call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
    return callUnary(this.client, method, request, this.deadlineMs, `agent ${this.address}`);
  }
}
