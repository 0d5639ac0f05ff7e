export { RedisFastPath, type FastPathEvent, type FastPathRedis, type RedisFastPathOptions } from "./fast-path.js";
