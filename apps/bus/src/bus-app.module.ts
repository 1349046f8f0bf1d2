import { Module } from '@nestjs/common';
import { BusProxyHost } from './bus-proxy.host';

@Module({ providers: [BusProxyHost] })
export class BusAppModule {}
