# Build stage: compile TypeScript (better-sqlite3 builds its native addon here).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build && npm ci --omit=dev

# Run stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY src/app/faultline.mjs ./src/app/faultline.mjs
COPY playbooks ./playbooks
COPY templates ./templates
RUN mkdir -p data && chown -R node:node data
USER node
VOLUME ["/app/data"]
# Slack HTTP mode and /healthz (Socket Mode serves /healthz here too).
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "src/app/faultline.mjs"]
CMD ["start"]
