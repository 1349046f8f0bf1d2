// Nest's default RPC filter turns every non-RpcException into "Internal server error" and loses its code. This
// filter passes errors through unchanged so the transport can map coded errors to typed error replies.
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
