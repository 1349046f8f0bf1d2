import { create } from '@bufbuild/protobuf';
import { CatalogModelSchema, SettingSchema, UserSchema } from '@aico/contracts';
import { RECORD_CHECKS } from './record-checks';
import { StorageErrorCode } from './storage.error';

const limits = { maxValueBytes: 1024, maxTextBytes: 1024 };

describe('record checks', () => {
  it('name the field a user is refused for', () => {
    const user = create(UserSchema, { id: 'u1', username: 'ada', role: 'admin' });
    expect(() => RECORD_CHECKS.user(user, limits)).not.toThrow();
    expect(() => RECORD_CHECKS.user({ ...user, username: '' }, limits)).toThrow(expect.objectContaining({ message: '"user.username" is required.' }));
    expect(() => RECORD_CHECKS.user({ ...user, role: 'root' }, limits)).toThrow(
      expect.objectContaining({ code: StorageErrorCode.InvalidArgument, message: 'user.role must be admin, user or guest, not "root".' }),
    );
  });

  it('refuse a setting that is not JSON', () => {
    expect(() => RECORD_CHECKS.setting(create(SettingSchema, { id: 's', valueJson: '{"a":1}' }), limits)).not.toThrow();
    expect(() => RECORD_CHECKS.setting(create(SettingSchema, { id: 's', valueJson: '{a' }), limits)).toThrow(
      expect.objectContaining({ code: StorageErrorCode.InvalidArgument }),
    );
  });

  it('refuse a model file that is a path', () => {
    expect(() => RECORD_CHECKS.model(create(CatalogModelSchema, { id: 'm', file: 'model.gguf' }), limits)).not.toThrow();
    expect(() => RECORD_CHECKS.model(create(CatalogModelSchema, { id: 'm', file: '../keys' }), limits)).toThrow(
      expect.objectContaining({ code: StorageErrorCode.InvalidArgument }),
    );
  });
});
