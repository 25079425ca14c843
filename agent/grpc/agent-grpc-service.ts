// The gRPC adapter: wire in, a call of the agent's contract (shared/agent-api.ts), wire out.
// Errors become gRPC statuses with the field named (shared/wire/grpc-errors); generated types
// go no further than this file. Checking the request is the service's job, not this file's.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { AgentApi } from '../../shared/agent-api.js';
import type { Logger } from '../../shared/logger.js';
import {
  clusterActionFromWire,
  clusterStatusToWire,
  mirrorToWire,
  nodeInfoToWire,
  opContextFromWire,
  operationToWire,
  packageInfoToWire,
  packageRequestFromWire,
  pb,
  serviceActions,
} from '../../shared/wire/agent-wire.js';
import { toStatus } from '../../shared/wire/grpc-errors.js';

type Handler<Req, Res> = (request: Req) => Promise<Res> | Res;

export interface AgentGrpcOptions {
  logger: Logger;
}

export function createAgentGrpcService(service: AgentApi, options: AgentGrpcOptions): pb.AgentServer {
  const unary =
    <Req, Res>(name: string, handler: Handler<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => handler(call.request))
        .then(
          (response) => callback(null, response),
          (error: unknown) => {
            const wireStatus = toStatus(error);
            options.logger.warn({ rpc: name, status: wireStatus.code, err: wireStatus.details }, 'request refused or failed');
            callback(wireStatus, null);
          },
        );
    };

  return {
    getNodeInfo: unary('GetNodeInfo', async (): Promise<pb.GetNodeInfoResponse> => nodeInfoToWire(await service.nodeInfo())),
    queryPackage: unary('QueryPackage', async (request: pb.QueryPackageRequest): Promise<pb.QueryPackageResponse> => ({
      package: packageInfoToWire(await service.queryPackage(request.name)),
    })),
    inspectPackageFile: unary('InspectPackageFile', async (request: pb.InspectPackageFileRequest): Promise<pb.InspectPackageFileResponse> => {
      const inspected = await service.inspectPackageFile(request.path);
      return { package: packageInfoToWire(inspected.package), size: inspected.size, sha256: inspected.sha256 };
    }),
    applyPackage: unary('ApplyPackage', async (request: pb.ApplyPackageRequest): Promise<pb.ApplyPackageResponse> => {
      const context = opContextFromWire(request.op);
      return { operation: operationToWire(await service.applyPackage(context, packageRequestFromWire(request))) };
    }),
    controlService: unary('ControlService', async (request: pb.ControlServiceRequest): Promise<pb.ControlServiceResponse> => {
      const action = serviceActions.toDomain('action', request.action);
      const context = action === 'status' ? undefined : opContextFromWire(request.op);
      const answer = await service.controlService(context, request.name, action);
      return { operation: answer.operation && operationToWire(answer.operation), status: { ...answer.status } };
    }),
    getClusterStatus: unary('GetClusterStatus', async (): Promise<pb.GetClusterStatusResponse> => clusterStatusToWire(await service.clusterStatus())),
    getMirrorStatus: unary('GetMirrorStatus', async (request: pb.GetMirrorStatusRequest): Promise<pb.GetMirrorStatusResponse> => ({
      mirrors: (await service.mirrorStatus(request.resource)).map(mirrorToWire),
    })),
    clusterAction: unary('ClusterAction', async (request: pb.ClusterActionRequest): Promise<pb.ClusterActionResponse> => {
      const context = opContextFromWire(request.op);
      return { operation: operationToWire(await service.clusterAction(context, clusterActionFromWire(request))) };
    }),
    reboot: unary('Reboot', async (request: pb.RebootRequest): Promise<pb.RebootResponse> => ({
      operation: operationToWire(await service.reboot(opContextFromWire(request.op))),
    })),
    runHook: unary('RunHook', async (request: pb.RunHookRequest): Promise<pb.RunHookResponse> => {
      const context = opContextFromWire(request.op);
      return { operation: operationToWire(await service.runHook(context, request.name, request.args)) };
    }),
    getOperation: unary('GetOperation', async (request: pb.GetOperationRequest): Promise<pb.GetOperationResponse> => ({
      operation: operationToWire(await service.getOperation(request.opId)),
    })),
    getClusterResources: unary('GetClusterResources', async (request: pb.GetClusterResourcesRequest): Promise<pb.GetClusterResourcesResponse> => ({
      resources: (await service.clusterResources(request.resourceType)).map((resource) => ({ ...resource })),
    })),
    readPackageFile: unary('ReadPackageFile', async (request: pb.ReadPackageFileRequest): Promise<pb.ReadPackageFileResponse> => ({
      ...(await service.readPackageFile(request.packagePath, request.installedPath)),
    })),
  };
}
