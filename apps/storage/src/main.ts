// The storage process: the one owner of the encrypted database, answering the storage bus contract.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { StorageAppModule } from './storage-app.module';
import { storageConfigSchema } from './storage.config';

void runService({ identity: 'storage', module: StorageAppModule, configSchema: storageConfigSchema });
