// The keys process: key state, purpose-key rotation and lock over the bus.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { KeysAppModule } from './keys-app.module';

void runService({ identity: 'keys', module: KeysAppModule });
