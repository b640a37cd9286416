import { Service } from './lib/service';

const service = new Service('orders', { memorySize: 512 });

export const functionName = service.functionName;
