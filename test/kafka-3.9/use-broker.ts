import { useOwnKafka } from "../setup/own-kafka-setup.ts";

// Every file of the project, the stack test included, runs against the project's broker:
// started before the file's tests (seconds once it runs).
useOwnKafka();
